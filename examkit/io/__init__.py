"""Layer 3, io: reading the tables users have (xlsx, csv in UTF-8/GBK) and writing outputs atomically."""
