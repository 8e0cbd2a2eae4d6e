# fz_warnings: the warning set every flowzap target compiles with.
add_library(fz_warnings INTERFACE)
target_compile_options(fz_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
  -Wvla -Wwrite-strings -Wundef -Wno-unused-parameter)
target_compile_definitions(fz_warnings INTERFACE _POSIX_C_SOURCE=200809L)
if(FZ_WERROR)
  target_compile_options(fz_warnings INTERFACE -Werror)
endif()
