target "default" {
  args = {
    X = frobnicate("a")
  }
}
