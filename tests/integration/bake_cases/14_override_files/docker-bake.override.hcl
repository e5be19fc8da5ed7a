variable "TAG" { default = "override" }
target "app" {
  args = { B = "2" }
  platforms = ["linux/arm64"]
}
