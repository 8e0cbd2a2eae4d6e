# FZ_SANITIZE: AddressSanitizer + UndefinedBehaviorSanitizer on every target.
if(FZ_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
