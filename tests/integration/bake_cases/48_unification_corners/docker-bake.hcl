target "default" {
  args = {
    COND = true ? 1 : "a"
    COND2 = jsonencode(false ? [1] : ["x", 2])
    EQL = [1, 2] == [1, 2]
    EQT = "1" == 1
    NUMSTR = "10" > 9
    TUP = jsonencode([1, "a", true])
    MAPCONV = jsonencode(merge({a = 1}, {b = "x"}))
    STRNUM = 1.0
    BIGE = 1e20
    NEGDIV = -7 / 2
    MODF = 5.5 % 2
    INTERPB = "${true}"
    FLATS = jsonencode(flatten([[], [[]], ["a"]]))
    DIST = jsonencode(distinct([1, "1"]))
    SORTN = jsonencode(sort([10, 9, "a"]))
    SPLITE = jsonencode(split(",", ""))
    JOINN = join(",", [1, true])
    CONTAINS = contains([1, 2], "1")
    RANGEF = jsonencode(range(0, 1, 0.25))
    MAXF = max(1.5, "2")
    FMTN = format("%d %s %v", 3, 4.5, true)
    REGEXALL = jsonencode(regexall("(a)(b)?", "ab a"))
  }
}
