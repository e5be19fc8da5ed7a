base_image = "alpine:3.20"
tags_list = ["x", "y"]
target "default" {
  args = {
    BASE = base_image
    CTX = BAKE_CMD_CONTEXT
    PLATFORM = BAKE_LOCAL_PLATFORM
  }
  tags = tags_list
}
