group "default" { targets = ["all"] }
group "all" {
  description = "Everything"
  targets = ["frontend", "backend"]
}
group "frontend" { targets = ["web", "docs"] }
group "backend" { targets = ["api", "worker", "api"] }
target "web" {}
target "docs" { dockerfile = "docs.Dockerfile" }
target "api" { context = "./api/" }
target "worker" { context = "worker/./sub/.." }
