# Writes INPUT as a C++ raw string literal into OUTPUT.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "R\"nnc_embed(${content})nnc_embed\"")
