namespace NasActors.Cluster.Specs;

/// <summary>
/// A syntax check run before Akka's HOCON parser, which accepts some broken text silently and fails on other broken
/// text by overflowing its stack (ending the process): unbalanced braces or brackets, unterminated strings, and a
/// key with no value are reported here with their line.
/// </summary>
public static class HoconSyntax
{
    /// <summary>Null when the text passes, else what is wrong and where.</summary>
    public static string? Problem(string text)
    {
        var stack = new Stack<(char Open, int Line)>();
        var line = 1;
        var awaitingValue = -1; // line of a '=' or ':' whose value has not come yet
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                if (awaitingValue > 0) return $"line {awaitingValue}: a key has no value";
                line++;
                continue;
            }
            if (char.IsWhiteSpace(c) || c == ',') continue;
            if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
            {
                while (i < text.Length && text[i] != '\n') i++;
                i--;
                continue;
            }
            if (c == '"')
            {
                var triple = i + 2 < text.Length && text[i + 1] == '"' && text[i + 2] == '"';
                var start = line;
                if (triple)
                {
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return $"line {start}: a \"\"\" string is not closed";
                    line += text.AsSpan(i, end - i).Count('\n');
                    i = end + 2;
                }
                else
                {
                    i++;
                    while (i < text.Length && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
                    if (i >= text.Length || text[i] != '"') return $"line {start}: a string is not closed";
                }
                awaitingValue = -1;
                continue;
            }
            switch (c)
            {
                case '{' or '[':
                    stack.Push((c, line));
                    awaitingValue = -1;
                    break;
                case '}' or ']':
                    if (awaitingValue > 0) return $"line {awaitingValue}: a key has no value";
                    if (stack.Count == 0) return $"line {line}: '{c}' closes nothing";
                    var (open, openLine) = stack.Pop();
                    if ((open == '{') != (c == '}')) return $"line {line}: '{c}' closes the '{open}' of line {openLine}";
                    break;
                case '=' or ':':
                    if (awaitingValue > 0) return $"line {awaitingValue}: a key has no value";
                    awaitingValue = line;
                    break;
                default:
                    awaitingValue = -1;
                    break;
            }
        }
        if (awaitingValue > 0) return $"line {awaitingValue}: a key has no value";
        if (stack.Count > 0) { var (open, openLine) = stack.Peek(); return $"line {openLine}: '{open}' is not closed"; }
        return null;
    }
}
