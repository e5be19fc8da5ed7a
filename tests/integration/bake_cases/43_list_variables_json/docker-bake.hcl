variable "NUMS" {
  type = list(number)
  default = [1, 2.5]
}
variable "OBJ" { default = { a = "<b>", n = 0.1 } }
variable "S" {
  type = string
  default = "plain"
}
target "default" { args = { J = jsonencode(OBJ), F = format("%v", [1, "x"]) } }
