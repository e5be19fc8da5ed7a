group "default" {
  description = "Default set"
  targets = ["web", "api"]
}
group "ci" { targets = ["test"] }
target "web" { description = "The web frontend" }
target "api" {}
target "test" { description = "Runs the tests" }
target "_hidden" {}
