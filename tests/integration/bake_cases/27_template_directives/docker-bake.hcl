variable "LIST" { default = ["a", "b", "c"] }
variable "FLAG" { default = true }
target "default" {
  args = {
    IF = "%{ if FLAG }yes%{ else }no%{ endif }"
    FOR = "%{ for x in LIST }[${x}]%{ endfor }"
    STRIP = "a  ${~ "b" ~}   c"
    ESC = "100%%{x} and $${y}"
    UNICODE = "caf\u00e9 \t tab"
  }
}
