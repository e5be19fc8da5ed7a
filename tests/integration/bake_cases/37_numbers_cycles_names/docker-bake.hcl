variable "A" { default = 5 }
variable "B" { default = "${A}-suffix" }
target "x" {
  inherits = ["y"]
  tags = ["x"]
  context = BAKE_CMD_CONTEXT
  args = {
    THIRD = 1/3
    POINT = 0.1 + 0.2
    TWOHALF = 2.50
    BIG = 1e3
    B = B
    A = A
    EXP = 2e-7
    LARGE = 12345678901234567890
  }
}
target "y" {
  inherits = ["x"]
  platforms = ["linux/amd64"]
}
target "app_v1" { context = "cwd://sub/../sub2" }
group "empty" { targets = [] }
