target "build" {
  name = "build-${item}"
  matrix = {
    item = ["alpha", "beta", "gamma"]
  }
  args = { ITEM = item }
  tags = ["app:${item}"]
}
