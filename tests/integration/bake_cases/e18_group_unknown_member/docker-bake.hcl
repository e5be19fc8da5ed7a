group "default" {
  targets = ["a", "ghost"]
}
target "a" {}
