target "docker-metadata-action" {}
target "build" {
  inherits = ["docker-metadata-action"]
  context = "./"
  dockerfile = "Dockerfile"
  platforms = ["linux/amd64", "linux/arm64"]
}
target "validate" {
  inherits = ["build"]
  target = "validate"
  output = ["type=cacheonly"]
}
group "default" { targets = ["build"] }
