namespace NotificationHub;

/// <summary>
/// Reads a Lua script that ships inside this assembly (<c>Scripts/*.lua</c>, embedded by name). Redis scripts live in
/// their own files, so they read and diff as Lua and tools can run them as they are (bench/cluster-pubsub-cpu.sh).
/// </summary>
internal static class EmbeddedLua
{
    /// <summary>The script <paramref name="fileName"/> (e.g. <c>append.lua</c>); throws when it is not embedded.</summary>
    public static string Load(string fileName)
    {
        using var stream = typeof(EmbeddedLua).Assembly.GetManifestResourceStream(fileName)
            ?? throw new InvalidOperationException($"The Lua script {fileName} is not embedded in {typeof(EmbeddedLua).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
