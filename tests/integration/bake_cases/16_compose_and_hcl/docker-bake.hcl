target "api" {
  tags = ["example/api:1.0"]
  args = { EXTRA = "yes" }
}
