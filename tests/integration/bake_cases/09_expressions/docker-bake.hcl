variable "N" { default = 3 }
variable "NAMES" { default = ["a", "b", "c"] }
variable "OBJ" {
  default = { name = "x", list = [1, 2, 3] }
}
target "default" {
  args = {
    ARITH = 1 + 2 * 3 - 4 / 2
    MOD = 7 % 3
    NEG = -N
    CMP = N > 2 && N <= 3
    NOT = !(N == 3)
    COND = N > 5 ? "big" : "small"
    FIRST = NAMES[0]
    LAST = NAMES[length(NAMES) - 1]
    ATTR = OBJ.name
    IDX = OBJ["list"][1]
    FOR = join("-", [for n in NAMES : upper(n) if n != "b"])
    FOROBJ = jsonencode({for i, n in NAMES : n => i})
    SPLAT = jsonencode([{a = 1}, {a = 2}][*].a)
    FLOAT = 1.5 * 2
    HALF = 1 / 4
    STR = "${N}${N}"
    NESTED = "x${"y${N}"}z"
  }
}
