# Writes mlbench's Satellite, LetterRecognition, HouseVotes84 and BreastCancer as CSV, byte for byte reproducibly.
# Run through export-r-datasets.sh, which checks the Debian package versions first.
# Usage: Rscript export-r-datasets.R <output directory>
#
# Conventions (those of the team's public-dataset exports): UTF-8, comma separator, "\n" line endings, one
# header line with the column names as in R, columns in R's order, R row names not written; fields are quoted
# only when they contain a comma, a double quote or a line break (quotes doubled); NA is an empty cell;
# factors are written as their level strings; integral doubles without a decimal point, other doubles in the
# shortest form that reads back to the same double.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript export-r-datasets.R <output directory>")
out_dir <- args[[1]]

suppressMessages(library(mlbench))

shortest_double <- function(x) {
  vapply(x, function(v) {
    if (is.na(v)) return("")
    if (!is.finite(v)) stop("non-finite double")
    if (v == trunc(v) && abs(v) < 1e15) return(format(v, scientific = FALSE, trim = TRUE))
    for (d in 1:17) {
      s <- formatC(v, digits = d, format = "g")
      if (as.numeric(s) == v) return(sub("^\\s+", "", s))
    }
    stop("no round-trip form")
  }, character(1), USE.NAMES = FALSE)
}

column_text <- function(col) {
  if (is.factor(col)) {
    s <- as.character(col)
  } else if (is.double(col)) {
    return(shortest_double(col))
  } else if (is.integer(col) || is.character(col) || is.logical(col)) {
    s <- as.character(col)
  } else {
    stop(paste("unsupported column type", class(col)[1]))
  }
  s[is.na(col)] <- ""
  s
}

quote_field <- function(s) {
  needs <- grepl("[,\"\r\n]", s)
  s[needs] <- paste0("\"", gsub("\"", "\"\"", s[needs], fixed = TRUE), "\"")
  s
}

write_dataset <- function(df, file, rows = seq_len(nrow(df))) {
  df <- df[rows, , drop = FALSE]
  cols <- lapply(df, function(col) quote_field(column_text(col)))
  lines <- c(paste(quote_field(names(df)), collapse = ","), do.call(paste, c(cols, sep = ",")))
  con <- file(file.path(out_dir, file), open = "wb")
  on.exit(close(con))
  writeChar(paste0(paste(lines, collapse = "\n"), "\n"), con, eos = NULL, useBytes = TRUE)
}

load_mlbench <- function(name) {
  e <- new.env()
  data(list = name, package = "mlbench", envir = e)
  get(name, envir = e)
}

write_dataset(load_mlbench("Satellite"), "satellite.csv")
write_dataset(load_mlbench("LetterRecognition"), "letter.csv")
write_dataset(load_mlbench("HouseVotes84"), "house_votes_84.csv")
write_dataset(load_mlbench("BreastCancer"), "breast_cancer_original.csv")
