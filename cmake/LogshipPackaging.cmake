# Packaging: install rules for what is not a program, and the .deb (CPack).
