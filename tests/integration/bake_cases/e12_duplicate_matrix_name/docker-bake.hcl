target "x" {
  name = "same"
  matrix = { v = ["a", "b"] }
}
