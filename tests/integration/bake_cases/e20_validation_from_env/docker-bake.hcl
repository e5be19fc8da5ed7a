variable "MIN" { default = 2 }
variable "N" {
  type = number
  default = 3
  validation {
    condition = N >= MIN
    error_message = "N must be at least ${MIN}."
  }
  validation {
    condition = N < 10
    error_message = "N must be below 10."
  }
}
target "default" { args = { N = N } }
