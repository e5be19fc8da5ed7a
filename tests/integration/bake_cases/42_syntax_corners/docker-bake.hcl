# comment
variable "ANY" {
  type = any
  default = "x"
}
variable "FLAGS" { default = ["a"] }
target "base" {
  tags = ["base"]
}
target "app" {
  inherits = ["base"]
  dockerfile = ""
  args = {
    "key.with.dots" = "v"
    colon = "c" // comment
    /* block */ multi = (
      true
      ? "yes"
      : "no"
    )
    ref = target.base.tags[0]
    ctx = target.base.context == null ? "none" : "some"
    q = "quote \" inside"
  }
  labels = {
    for k, v in { a = 1, b = 2 } : "label.${k}" => "${v}"
  }
  tags = concat(["t"], [for f in FLAGS : "f-${f}"])
  platforms = [
    "linux/amd64", # first
    "linux/arm64",
  ]
}
target "m" {
  name = "m-${i}"
  matrix = { i = [1, 2] }
  tags = ["m:${i}"]
  args = { TAGREF = target.app.tags[0] }
}
group "default" { targets = ["app", "m"] }
