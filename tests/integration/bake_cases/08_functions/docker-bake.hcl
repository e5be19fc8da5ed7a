function "tag" {
  params = [name, version]
  result = "example/${lower(name)}:${version}"
}
function "tags" {
  params = [name]
  variadic_params = versions
  result = [for v in versions : tag(name, v)]
}
target "default" {
  tags = tags("App", "1", "latest")
  args = {
    UP = upper("hello")
    TRIM = trimprefix(trimsuffix("--abc--", "--"), "--")
    JOINED = join(",", ["a", "b", "c"])
    SPLIT = length(split(",", "a,b,c,d"))
    FORMAT = format("%s-%03d", "x", 7)
    SUB = substr("hello world", 6, 5)
    REPL = replace("a.b.c", ".", "_")
    SAN = sanitize("my.app/name")
    CONTAINS = contains(["a", "b"], "b")
    MAX = max(3, 9, 2)
    MIN = min(3, 9, 2)
    ABS = absolute(-4)
    CEIL = ceil(1.2)
    FLOOR = floor(1.8)
    COAL = coalesce("", "second")
    ELEM = element(["x", "y", "z"], 4)
    IDX = indexof(["x", "y", "z"], "z")
    IDX2 = index(["x", "y", "z"], 1)
    TRY = try(undefined_thing, "fallback")
    CAN = can(nope.x)
    LOOKUP = lookup({a = "1"}, "b", "default")
    KEYS = join(",", keys({b = 1, a = 2}))
    VALUES = join(",", values({b = 1, a = 2}))
    RANGE = join(",", range(3))
    SORTED = join(",", sort(["c", "a", "b"]))
    DISTINCT = join(",", distinct(["a", "a", "b"]))
    FLAT = join(",", flatten([["a"], ["b", ["c"]]]))
    CONCAT = join(",", concat(["a"], ["b"]))
    REGEX = regex("[0-9]+", "abc123def")
    REGREPL = regex_replace("hello-world", "o", "0")
    ADD = add(1, 2)
    SUBTR = subtract(5, 2)
    MUL = multiply(3, 4)
    DIV = divide(9, 2)
    EQ = equal(1, 1)
    NEQ = notequal("a", "b")
    AND = and(true, false)
    OR = or(true, false)
    MERGED = jsonencode(merge({a = 1}, {b = 2}))
  }
}
