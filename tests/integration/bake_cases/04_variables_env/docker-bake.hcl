variable "TAG" { default = "latest" }
variable "DEBUG" { default = false }
variable "REPLICAS" { default = 1 }
variable "PLATFORMS" {
  type = list(string)
  default = ["linux/amd64"]
}
variable "LABELS" {
  type = map(string)
  default = {}
}
target "default" {
  tags = ["app:${TAG}"]
  args = {
    DEBUG = DEBUG ? "on" : "off"
    REPLICAS = REPLICAS + 1
  }
  platforms = PLATFORMS
  labels = LABELS
}
