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

# FZ_TSAN: ThreadSanitizer on every target (not with FZ_SANITIZE: the two
# runtimes exclude each other). tests/CMakeLists.txt then builds only the
# unit tests of the code that runs threads (FZ_TSAN_TESTS).
if(FZ_TSAN)
  if(FZ_SANITIZE)
    message(FATAL_ERROR "FZ_TSAN and FZ_SANITIZE exclude each other")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
