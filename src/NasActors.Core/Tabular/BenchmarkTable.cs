using System.Globalization;
using System.Text;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Nb201;

namespace NasActors.Core.Tabular;

/// <summary>A malformed benchmark table; the message names the file and the line.</summary>
public sealed class TableFormatException(string source, int line, string reason)
    : FormatException(line > 0 ? $"{source}, line {line}: {reason}" : $"{source}: {reason}")
{
    public string TableSource { get; } = source;
    public int Line { get; } = line;
    public string Reason { get; } = reason;
}

/// <summary>
/// A tabular NAS benchmark: a CSV file with one row per architecture (an architecture column and numeric columns
/// such as accuracies, latencies, FLOPs). Architectures are parsed in the table's space, every one at most once.
/// Numeric columns are parsed when first used, so a text column the search does not use does no harm.
/// </summary>
public sealed class BenchmarkTable
{
    private readonly string[][] _cells;
    private readonly int[] _lines;
    private readonly Dictionary<string, int> _columnIndex;
    private readonly Dictionary<Architecture, int> _rowOf;
    private readonly Dictionary<string, double[]> _numeric = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private BenchmarkTable(string source, string[] header, string[][] cells, int[] lines, ISearchSpace space,
        Architecture[] architectures, Dictionary<Architecture, int> rowOf, string archColumn)
    {
        Source = source;
        Columns = header;
        _cells = cells;
        _lines = lines;
        Space = space;
        Architectures = architectures;
        _rowOf = rowOf;
        ArchitectureColumn = archColumn;
        _columnIndex = header.Select((h, i) => (h, i)).ToDictionary(t => t.h, t => t.i, StringComparer.Ordinal);
    }

    public string Source { get; }
    public IReadOnlyList<string> Columns { get; }
    public string ArchitectureColumn { get; }
    public ISearchSpace Space { get; }
    /// <summary>The architectures in row order.</summary>
    public IReadOnlyList<Architecture> Architectures { get; }
    public int RowCount => Architectures.Count;

    public static BenchmarkTable Read(string path, string space = "auto", string archColumn = "arch")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Benchmark table '{path}' does not exist.", path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path, space, archColumn);
    }

    /// <summary>
    /// Reads a table. <paramref name="space"/>: <c>nb201</c>, <c>layers:LxK</c> (L decisions of K choices, digit
    /// strings), or <c>auto</c> (cell strings starting with '|' are nb201; digit strings give L from their length and K
    /// from the largest digit in the table).
    /// </summary>
    public static BenchmarkTable Read(TextReader reader, string source, string space = "auto", string archColumn = "arch")
    {
        var headerLine = reader.ReadLine();
        var lineNo = 1;
        while (headerLine is not null && headerLine.Trim().Length == 0) { headerLine = reader.ReadLine(); lineNo++; }
        if (headerLine is null) throw new TableFormatException(source, 0, "the file is empty");
        var headerLineNo = lineNo;
        var header = SplitCsv(headerLine.TrimStart('\uFEFF'), source, lineNo).Select(h => h.Trim()).ToArray();
        for (var i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0) throw new TableFormatException(source, lineNo, $"column {i + 1} has no name");
            for (var j = 0; j < i; j++)
                if (header[j] == header[i]) throw new TableFormatException(source, lineNo, $"column '{header[i]}' appears twice");
        }
        var archIndex = Array.IndexOf(header, archColumn);
        if (archIndex < 0)
            throw new TableFormatException(source, headerLineNo, $"no architecture column '{archColumn}' (columns: {string.Join(", ", header)})");

        var cells = new List<string[]>();
        var lines = new List<int>();
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var row = SplitCsv(line, source, lineNo);
            if (row.Length != header.Length)
                throw new TableFormatException(source, lineNo, $"{row.Length} fields, the header has {header.Length}");
            cells.Add(row);
            lines.Add(lineNo);
        }
        if (cells.Count == 0) throw new TableFormatException(source, 0, "the table has no rows");

        var resolved = ResolveSpace(space, cells, archIndex, lines, source);
        var archs = new Architecture[cells.Count];
        var rowOf = new Dictionary<Architecture, int>(cells.Count);
        for (var r = 0; r < cells.Count; r++)
        {
            var text = cells[r][archIndex].Trim();
            try { archs[r] = resolved.Parse(text); }
            catch (FormatException e)
            {
                throw new TableFormatException(source, lines[r], $"architecture '{text}' is not in space '{resolved.Name}': {(e is ArchitectureFormatException a ? a.Reason : e.Message)}");
            }
            if (!rowOf.TryAdd(archs[r], r))
                throw new TableFormatException(source, lines[r],
                    $"duplicate architecture '{text}' (first on line {lines[rowOf[archs[r]]]})");
        }
        return new BenchmarkTable(source, header, cells.ToArray(), lines.ToArray(), resolved, archs, rowOf, archColumn);
    }

    private static ISearchSpace ResolveSpace(string spec, List<string[]> cells, int archIndex, List<int> lines, string source)
    {
        var s = spec.Trim().ToLowerInvariant();
        if (s == Nb201Space.SpaceName) return Nb201Space.Instance;
        if (s.StartsWith("layers:", StringComparison.Ordinal))
        {
            var dims = s["layers:".Length..].Split('x');
            if (dims.Length == 2 && int.TryParse(dims[0], NumberStyles.None, CultureInfo.InvariantCulture, out var l)
                && int.TryParse(dims[1], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && l >= 1 && k is >= 1 and <= 36)
                return LayerChoiceSpace.Uniform($"layers:{l}x{k}", l, k);
            throw new ArgumentException($"Space '{spec}' is not of the form layers:LxK (e.g. layers:8x3, K at most 36).");
        }
        if (s != "auto") throw new ArgumentException($"Unknown space '{spec}' (known: nb201, layers:LxK, auto).");

        var first = cells[0][archIndex].Trim();
        if (first.StartsWith('|')) return Nb201Space.Instance;
        var maxDigit = 0;
        for (var r = 0; r < cells.Count; r++)
        {
            var text = cells[r][archIndex].Trim();
            if (text.Length != first.Length)
                throw new TableFormatException(source, lines[r],
                    $"architecture '{text}' has {text.Length} decisions, the first row has {first.Length} (give --space layers:LxK to check against a space)");
            foreach (var ch in text)
            {
                var d = char.IsAsciiDigit(ch) ? ch - '0' : char.IsAsciiLetter(ch) ? char.ToLowerInvariant(ch) - 'a' + 10 : -1;
                if (d < 0) throw new TableFormatException(source, lines[r], $"architecture '{text}' is neither an nb201 cell nor a digit string");
                maxDigit = Math.Max(maxDigit, d);
            }
        }
        return LayerChoiceSpace.Uniform($"layers:{first.Length}x{maxDigit + 1}", first.Length, maxDigit + 1);
    }

    public bool HasColumn(string name) => _columnIndex.ContainsKey(name);

    /// <summary>A numeric column in row order; fails naming the line of the first value that is not a finite number.</summary>
    public IReadOnlyList<double> Numeric(string column)
    {
        lock (_gate)
        {
            if (_numeric.TryGetValue(column, out var cached)) return cached;
            if (!_columnIndex.TryGetValue(column, out var c))
                throw new TableFormatException(Source, _lines[0] - 1 > 0 ? _lines[0] - 1 : 1,
                    $"no column '{column}' (columns: {string.Join(", ", Columns)})");
            if (c == _columnIndex[ArchitectureColumn])
                throw new TableFormatException(Source, 1, $"column '{column}' holds the architectures, not numbers");
            var values = new double[_cells.Length];
            for (var r = 0; r < _cells.Length; r++)
            {
                var text = _cells[r][c].Trim();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out values[r]) || !double.IsFinite(values[r]))
                    throw new TableFormatException(Source, _lines[r], $"column '{column}': '{text}' is not a number");
            }
            _numeric[column] = values;
            return values;
        }
    }

    /// <summary>The row of an architecture, or -1 when the table lacks it.</summary>
    public int RowOf(Architecture a) => _rowOf.TryGetValue(a, out var r) ? r : -1;

    public double Value(string column, Architecture a)
    {
        var r = RowOf(a);
        if (r < 0) throw new KeyNotFoundException($"Architecture '{Space.Format(a)}' is not in table {Source}.");
        return Numeric(column)[r];
    }

    /// <summary>Splits one CSV line (RFC 4180 quoting; no line breaks inside fields).</summary>
    private static string[] SplitCsv(string line, string source, int lineNo)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var i = 0;
        while (true)
        {
            sb.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) throw new TableFormatException(source, lineNo, "a quoted field is not closed");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    sb.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',') throw new TableFormatException(source, lineNo, "text after a closing quote");
            }
            else
            {
                while (i < line.Length && line[i] != ',') sb.Append(line[i++]);
            }
            fields.Add(sb.ToString());
            if (i >= line.Length) break;
            i++; // the comma
        }
        return fields.ToArray();
    }
}
