# FZ_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on every target.
if(FZ_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# FZ_FUZZ: coverage instrumentation in every library, so libFuzzer sees the
# code it exercises (the fuzz targets themselves link with -fsanitize=fuzzer).
if(FZ_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
