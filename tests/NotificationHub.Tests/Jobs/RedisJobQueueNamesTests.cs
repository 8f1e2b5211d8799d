using NotificationHub.Jobs.Redis;
using System.Text;

namespace NotificationHub.Tests.Jobs;

/// <summary>The job queue's keys on Redis Cluster: every key one job touches is in one slot.</summary>
public sealed class RedisJobQueueNamesTests
{
    [Fact]
    public void Every_key_of_a_job_hashes_to_one_slot_with_the_default_prefix()
    {
        var names = new RedisJobQueueNames(new RedisJobQueueOptions().KeyPrefix);
        var slots = new[]
        {
            names.Stream, names.Active("bom-1"), names.Items("bom-1"), names.Job("0123456789abcdef"),
            names.Active("another-bom:with.dots_and-dashes"), names.Job("fedcba9876543210"),
        }.Select(key => Slot(key!)).Distinct().ToList();

        Assert.Single(slots);
    }

    [Theory]
    [InlineData("{jobs}:", true)]
    [InlineData("app:{jobs}:", true)]
    [InlineData("notificationhub:jobs:", false)]
    [InlineData("{}jobs:", false)]
    [InlineData("{jobs:", false)]
    [InlineData("jobs}:{", false)]
    public void A_prefix_without_a_hash_tag_is_refused(string prefix, bool valid) =>
        Assert.Equal(valid, RedisJobQueueNames.HasHashTag(prefix));

    /// <summary>Redis Cluster's slot of a key, computed here by the cluster spec (CRC16/XMODEM of the hash tag, mod 16384).</summary>
    private static int Slot(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open >= 0 && key.IndexOf('}', open + 1) is var close and > 0 && close > open + 1)
        {
            key = key[(open + 1)..close];
        }

        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % 16384;
    }

    [Fact]
    public void The_slot_computation_matches_redis()
    {
        Assert.Equal(12182, Slot("foo")); // CLUSTER KEYSLOT foo
        Assert.Equal(Slot("user1000"), Slot("{user1000}.following"));
        Assert.NotEqual(Slot("notificationhub:jobs:stream"), Slot("notificationhub:jobs:active:bom-1"));
    }
}
