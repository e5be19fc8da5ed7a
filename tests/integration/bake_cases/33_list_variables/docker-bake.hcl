variable "TAG" {
  description = "The image tag"
  default = "latest"
}
variable "PUSH" {
  type = bool
  default = false
}
variable "PLATFORMS" {
  type = list(string)
  default = ["linux/amd64", "linux/arm64"]
}
variable "UNSET" {}
variable "NULLED" {
  type = string
}
target "default" {}
