target "_common" {
  args = { GO_VERSION = "1.22", COMMON = "yes" }
  labels = { "org.opencontainers.image.source" = "https://example.com" }
  platforms = ["linux/amd64"]
  cache-from = ["type=registry,ref=example/cache"]
}
target "base" {
  inherits = ["_common"]
  args = { GO_VERSION = "1.23" }
  tags = ["base"]
}
target "app" {
  inherits = ["base"]
  target = "app"
  tags = ["app"]
  cache-from = ["type=local,src=/tmp/cache"]
}
group "default" { targets = ["app", "base"] }
