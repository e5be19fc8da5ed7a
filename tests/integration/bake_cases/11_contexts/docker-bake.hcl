target "base" {
  dockerfile = "base.Dockerfile"
  platforms = ["linux/amd64", "linux/arm64"]
}
target "app" {
  contexts = {
    base = "target:base"
    src = "../src"
    alpine = "docker-image://alpine:3.20"
  }
  platforms = ["linux/amd64"]
}
group "default" { targets = ["app"] }
