variable "TAG" { default = "one" }
target "app" {
  tags = ["app:${TAG}"]
  args = { FROM = "base" }
}
