foo "x" {
  a = 1
}
variable "V" {
  default = "v"
  description = "d"
}
target "default" {
  args = { V = V }
  matrix_like = 1
  nested {
    x = 1
  }
}
variable "W" {
  default = "w"
  bogus = 1
  other {
  }
}
