//===- Lexer.cpp - tokens of the .nn language -----------------------------===//
#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

StringRef nnc::spell(Tok kind) {
  switch (kind) {
  case Tok::eof: return "end of file";
  case Tok::newline: return "end of line";
  case Tok::identifier: return "a name";
  case Tok::number: return "a number";
  case Tok::string: return "a string";
  case Tok::kw_model: return "'model'";
  case Tok::kw_input: return "'input'";
  case Tok::kw_target: return "'target'";
  case Tok::kw_param: return "'param'";
  case Tok::kw_output: return "'output'";
  case Tok::kw_loss: return "'loss'";
  case Tok::kw_metric: return "'metric'";
  case Tok::kw_train: return "'train'";
  case Tok::kw_block: return "'block'";
  case Tok::kw_return: return "'return'";
  case Tok::l_paren: return "'('";
  case Tok::r_paren: return "')'";
  case Tok::l_square: return "'['";
  case Tok::r_square: return "']'";
  case Tok::l_brace: return "'{'";
  case Tok::r_brace: return "'}'";
  case Tok::comma: return "','";
  case Tok::colon: return "':'";
  case Tok::equal: return "'='";
  case Tok::plus: return "'+'";
  case Tok::minus: return "'-'";
  case Tok::star: return "'*'";
  case Tok::slash: return "'/'";
  case Tok::at: return "'@'";
  case Tok::pipe: return "'|>'";
  }
  return "token";
}

static Tok keywordOrIdentifier(StringRef text) {
  return llvm::StringSwitch<Tok>(text)
      .Case("model", Tok::kw_model)
      .Case("input", Tok::kw_input)
      .Case("target", Tok::kw_target)
      .Case("param", Tok::kw_param)
      .Case("output", Tok::kw_output)
      .Case("loss", Tok::kw_loss)
      .Case("metric", Tok::kw_metric)
      .Case("train", Tok::kw_train)
      .Case("block", Tok::kw_block)
      .Case("return", Tok::kw_return)
      .Default(Tok::identifier);
}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// Lexes a number starting at `p`: `3`, `0.5`, `1e-3`, `.5`. Returns its end.
static const char *lexNumber(const char *p, const char *end) {
  while (p < end && isDigit(*p))
    ++p;
  if (p < end && *p == '.') {
    ++p;
    while (p < end && isDigit(*p))
      ++p;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    const char *q = p + 1;
    if (q < end && (*q == '+' || *q == '-'))
      ++q;
    if (q < end && isDigit(*q)) {
      p = q;
      while (p < end && isDigit(*p))
        ++p;
    }
  }
  return p;
}

namespace {
/// An open bracket and where it was opened.
struct Open {
  char c;
  const char *at;
};
} // namespace

static char closerOf(char open) {
  return open == '(' ? ')' : open == '[' ? ']' : '}';
}

bool nnc::lex(StringRef buffer, DiagEmitter &diag, std::vector<Token> &out) {
  const char *p = buffer.begin(), *end = buffer.end();
  std::vector<Open> stack;
  unsigned errorsBefore = diag.numErrors();
  auto push = [&](Tok kind, const char *start, const char *stop) {
    out.push_back({kind, StringRef(start, stop - start)});
  };
  auto errorAt = [&](const char *at, const llvm::Twine &msg) {
    return diag.error(SMLoc::getFromPointer(at), msg);
  };

  while (p < end && !diag.tooMany()) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\r') {
      ++p;
      continue;
    }
    if (c == '#') {
      while (p < end && *p != '\n')
        ++p;
      continue;
    }
    if (c == '\n') {
      bool continues = !stack.empty() && stack.back().c != '{';
      if (!continues && !out.empty() && !out.back().is(Tok::newline))
        push(Tok::newline, p, p + 1);
      ++p;
      continue;
    }
    const char *start = p;
    if (isIdentStart(c)) {
      while (p < end && (isIdentStart(*p) || isDigit(*p)))
        ++p;
      StringRef text(start, p - start);
      push(keywordOrIdentifier(text), start, p);
      continue;
    }
    if (isDigit(c) || (c == '.' && p + 1 < end && isDigit(p[1]))) {
      p = lexNumber(p, end);
      push(Tok::number, start, p);
      if (p < end && isIdentStart(*p)) {
        errorAt(p, "unexpected character '" + StringRef(p, 1) +
                       "' after number");
        while (p < end && (isIdentStart(*p) || isDigit(*p)))
          ++p;
      }
      continue;
    }
    if (c == '"') {
      ++p;
      while (p < end && *p != '"' && *p != '\n') {
        if (*p == '\\' && p + 1 < end && p[1] != '\n')
          ++p;
        ++p;
      }
      if (p >= end || *p != '"') {
        errorAt(start, "unterminated string: missing closing '\"'");
        continue;
      }
      ++p;
      push(Tok::string, start, p);
      continue;
    }
    if (c == '|' && p + 1 < end && p[1] == '>') {
      p += 2;
      push(Tok::pipe, start, p);
      continue;
    }
    Tok kind;
    switch (c) {
    case '(': kind = Tok::l_paren; break;
    case ')': kind = Tok::r_paren; break;
    case '[': kind = Tok::l_square; break;
    case ']': kind = Tok::r_square; break;
    case '{': kind = Tok::l_brace; break;
    case '}': kind = Tok::r_brace; break;
    case ',': kind = Tok::comma; break;
    case ':': kind = Tok::colon; break;
    case '=': kind = Tok::equal; break;
    case '+': kind = Tok::plus; break;
    case '-': kind = Tok::minus; break;
    case '*': kind = Tok::star; break;
    case '/': kind = Tok::slash; break;
    case '@': kind = Tok::at; break;
    default: {
      unsigned char byte = c;
      if (byte >= 0x80) {
        // One error for a whole UTF-8 sequence.
        ++p;
        while (p < end && ((unsigned char)*p & 0xC0) == 0x80)
          ++p;
        errorAt(start, "unexpected non-ASCII character '" +
                           StringRef(start, p - start) +
                           "': names and operators are ASCII");
        continue;
      }
      std::string shown = byte >= 0x20 && byte < 0x7f
                              ? "'" + std::string(1, c) + "'"
                              : "byte 0x" + llvm::utohexstr(byte, false, 2);
      errorAt(start, "unexpected character " + shown);
      ++p;
      continue;
    }
    }
    ++p;
    if (c == '(' || c == '[' || c == '{') {
      stack.push_back({c, start});
    } else if (c == ')' || c == ']' || c == '}') {
      if (stack.empty()) {
        errorAt(start, "unbalanced '" + StringRef(start, 1) +
                           "': nothing to close");
        continue;
      }
      if (closerOf(stack.back().c) != c) {
        errorAt(start, "unbalanced '" + StringRef(start, 1) + "': expected '" +
                           StringRef(std::string(1, closerOf(stack.back().c))) +
                           "'")
                .attachNote(diag.loc(SMLoc::getFromPointer(stack.back().at)))
            << "to close the '" << stack.back().c << "' opened here";
        stack.pop_back();
        continue;
      }
      stack.pop_back();
    }
    push(kind, start, p);
  }
  for (const Open &open : stack) {
    if (diag.tooMany())
      break;
    errorAt(open.at, "unbalanced '" + StringRef(open.at, 1) +
                         "': never closed");
  }
  if (out.empty() || !out.back().is(Tok::newline))
    push(Tok::newline, end, end);
  push(Tok::eof, end, end);
  return diag.numErrors() == errorsBefore;
}
