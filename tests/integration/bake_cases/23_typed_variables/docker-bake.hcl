variable "ENABLED" {
  type = bool
  default = false
}
variable "COUNT" {
  type = number
  default = 2
}
variable "TAGS" {
  type = list(string)
  default = ["a"]
}
variable "SETTINGS" {
  type = object({ name = string, level = number })
  default = { name = "x", level = 1 }
}
target "default" {
  tags = TAGS
  args = {
    ENABLED = ENABLED
    COUNT = COUNT * 10
    NAME = SETTINGS.name
    LEVEL = SETTINGS.level
  }
}
