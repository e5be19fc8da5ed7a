variable "PORT" {
  default = 99999
  validation {
    condition = PORT < 65536
    error_message = "PORT must be below 65536."
  }
}
target "default" {}
