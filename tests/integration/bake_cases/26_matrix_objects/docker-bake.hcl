target "img" {
  name = "img-${v.name}"
  matrix = {
    v = [
      { name = "alpine", base = "alpine:3.20" },
      { name = "debian", base = "debian:12" },
    ]
  }
  args = { BASE = v.base }
  tags = ["example/img:${v.name}"]
}
target "other" {
  inherits = ["img-alpine"]
  tags = ["example/other"]
}
group "default" { targets = ["img", "other"] }
