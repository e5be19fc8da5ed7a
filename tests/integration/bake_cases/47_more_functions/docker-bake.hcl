variable "M" { default = { "a": 1, b: 2 } }
target "default" {
  args = {
    HOME_OK = homedir() != ""
    KEYS = join(",", keys(M))
    SPLATMAP = jsonencode({a = {n = 1}}[*])
    CHUNK = jsonencode(chunklist([1,2,3], 2))
    SETP = jsonencode(setproduct(["a", "b"], [1, 2]))
    TITLE = title("hello-world foo_bar")
    CSV = jsonencode(csvdecode("a,b\n1,2\n"))
    FMTDATE = formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")
    TRIMS = trimspace("  x \n")
    REVERSE = jsonencode(reverselist([1, 2, 3]))
    REVSTR = reverse("abc")
    ZIP = jsonencode(zipmap(["b", "a"], [1, 2]))
    SLICE = jsonencode(slice([1, 2, 3, 4], 1, 3))
    FMTV = format("%v|%5s|%-5s|%.2f", "x", "r", "l", 3.14159)
    SUBSTR = substr("héllo", 1, 3)
    PI = parseint("777", 8)
    URL = urlencode("a b/c?d=e")
  }
}
