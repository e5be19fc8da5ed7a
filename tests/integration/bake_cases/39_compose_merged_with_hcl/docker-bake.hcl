target "a" {
  inherits = ["b"]
  tags = ["a-from-hcl"]
}
target "extra" {
  contexts = { x = "target:b" }
}
group "default" { targets = ["extra"] }
