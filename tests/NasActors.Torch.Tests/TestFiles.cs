namespace NasActors.Torch.Tests;

/// <summary>A temporary folder that deletes itself.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nasactors-torch-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Where the repository is, found from the test assembly's folder.</summary>
public static class Repo
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(System.IO.Path.Combine(dir.FullName, "NasActors.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root (NasActors.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public static string SubsetFolder => System.IO.Path.Combine(Root, "src", "NasActors.Torch", "Data", "FashionMnistSubset");
}

/// <summary>The embedded Fashion-MNIST subset, split 80/20 with seed 1: loaded once for every test that trains on it.</summary>
public static class TestData
{
    public static NasActors.Torch.Data.SearchData Embedded { get; } =
        NasActors.Torch.Data.SearchData.Load(NasActors.Torch.Data.DatasetCatalog.FashionMnistEmbedded, null, 0.2, 1);
}
