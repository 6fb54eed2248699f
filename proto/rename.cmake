# protoc-c names its output after the .proto file; onnxbn includes
# "onnx.pb-c.h". When the schema is named differently (onnx-ml.proto, say),
# rename the generated pair and fix the include line.
if(NOT NAME STREQUAL "onnx")
  file(READ ${DIR}/${NAME}.pb-c.c c_src)
  string(REPLACE "\"${NAME}.pb-c.h\"" "\"onnx.pb-c.h\"" c_src "${c_src}")
  file(WRITE ${DIR}/onnx.pb-c.c "${c_src}")
  file(RENAME ${DIR}/${NAME}.pb-c.h ${DIR}/onnx.pb-c.h)
endif()
