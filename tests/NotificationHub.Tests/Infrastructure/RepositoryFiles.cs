namespace NotificationHub.Tests.Infrastructure;

/// <summary>Files of the repository the tests were built from (docs, deploy/), found by walking up to the solution.</summary>
public static class RepositoryFiles
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="relativePath"/> (with forward slashes) in the repository.</summary>
    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NotificationHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No NotificationHub.sln above {AppContext.BaseDirectory}.");
    }
}
