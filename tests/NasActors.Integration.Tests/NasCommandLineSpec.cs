namespace NasActors.Integration.Tests;

/// <summary>Engine options of the built `nas` refused with a message naming the option and the value, before any work.</summary>
public sealed class NasCommandLineSpec : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-cli-").FullName;

    [Theory]
    [InlineData("--layout 'nchw': expected channels-last or contiguous", "benchmark-step", "--layout", "nchw")]
    [InlineData("--path-workers 2: benchmark-step times one path at a time", "benchmark-step", "--path-workers", "2")]
    [InlineData("--path-workers must be >= 0, got -1", "train", "--path-workers", "-1", "--steps", "1")]
    [InlineData("--host-memory: Host memory policy 'jemalloc' is not known: use retain or system", "train", "--host-memory", "jemalloc", "--steps", "1")]
    public async Task Bad_engine_options_are_refused_naming_the_option(string expected, params string[] arguments)
    {
        using var nas = NodeProcess.Nas(_root, arguments);
        var exit = await nas.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, exit);
        // Spectre.Console wraps long lines at the console width: compare with every run of white space as one space.
        Assert.Contains(expected, System.Text.RegularExpressions.Regex.Replace(nas.Output, @"\s+", " "));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
