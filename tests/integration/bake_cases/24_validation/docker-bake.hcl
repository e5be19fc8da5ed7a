variable "VERSION" {
  default = "1.2.3"
  validation {
    condition = can(regex("^[0-9]+[.][0-9]+[.][0-9]+$", VERSION))
    error_message = "VERSION must be semver."
  }
}
target "default" { args = { VERSION = VERSION } }
