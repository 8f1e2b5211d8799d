namespace NotificationHub.Bus;

/// <summary>
/// Rules for the identifiers that end up on the wire (event ids, tenant ids, idempotency keys): an SSE <c>id:</c> line
/// or a header must never carry CR/LF, so only printable ASCII is accepted.
/// </summary>
public static class EventTokens
{
    /// <summary>Longest accepted identifier.</summary>
    public const int MaxLength = 128;

    /// <summary>True for a non-empty identifier of at most <see cref="MaxLength"/> printable ASCII characters (so no CR/LF).</summary>
    public static bool IsSafe(string value)
    {
        if (value.Length is 0 or > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
