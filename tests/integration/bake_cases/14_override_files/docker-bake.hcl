variable "TAG" { default = "base" }
target "app" {
  tags = ["app:${TAG}"]
  args = { A = "1" }
}
