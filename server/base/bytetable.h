#pragma once

#include <array>
#include <string_view>

namespace organizer {

// A 256-entry membership table for a class of bytes, built at compile time: the grammar checks
// (tchar, b64token, host characters…) look a byte up instead of comparing it against each range.
struct ByteClass
{
    bool digits = false;
    bool letters = false;
    std::string_view others;
};

constexpr std::array<bool, 256> byteTable(ByteClass byteClass)
{
    std::array<bool, 256> table{};
    if (byteClass.digits) {
        for (int c = '0'; c <= '9'; ++c)
            table[c] = true;
    }
    if (byteClass.letters) {
        for (int c = 'a'; c <= 'z'; ++c)
            table[c] = table[c - 'a' + 'A'] = true;
    }
    for (const char c : byteClass.others)
        table[static_cast<unsigned char>(c)] = true;
    return table;
}

} // namespace organizer
