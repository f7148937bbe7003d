# find_package(kvstore) for libkvstore as ffi/install.sh installs it
# (PREFIX/lib/cmake/kvstore/ beside PREFIX/lib/libkvstore.so and
# PREFIX/include/kvstore.h): defines the imported target kvstore::kvstore,
# the shared library with its include directory, so that
#   target_link_libraries(app PRIVATE kvstore::kvstore)
# is all a project needs. The prefix is found from this file's location, so
# an installed tree can be moved.
get_filename_component(_kvstore_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET kvstore::kvstore)
  add_library(kvstore::kvstore SHARED IMPORTED)
  set_target_properties(kvstore::kvstore PROPERTIES
    IMPORTED_LOCATION "${_kvstore_prefix}/lib/libkvstore.so"
    # The library has no soname: link it as -lkvstore, not by its path.
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${_kvstore_prefix}/include")
endif()
unset(_kvstore_prefix)
