namespace NasActors.Torch.Data;

/// <summary>Base of the errors a dataset can raise while it is located, read or checked.</summary>
public class DatasetException : Exception
{
    public DatasetException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A dataset file is not what its format promises: bad magic number, truncated data, image and label counts that
/// differ, a label out of range, an image size that does not fit. Names the file and the fault, so a bad file
/// fails while it is read, never deep inside a tensor operation.
/// </summary>
public sealed class DatasetFormatException : DatasetException
{
    public DatasetFormatException(string file, string fault, Exception? inner = null)
        : base($"{file}: {fault}", inner)
    {
        File = file;
        Fault = fault;
    }

    /// <summary>The file (or resource) at fault.</summary>
    public string File { get; }

    /// <summary>What is wrong with it.</summary>
    public string Fault { get; }
}

/// <summary>A dataset, a folder or one of the files a dataset needs does not exist.</summary>
public sealed class DatasetNotFoundException : DatasetException
{
    public DatasetNotFoundException(string message) : base(message) { }
}
