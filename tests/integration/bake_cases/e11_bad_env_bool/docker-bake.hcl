variable "FLAG" {
  type = bool
  default = false
}
target "default" { args = { F = FLAG } }
