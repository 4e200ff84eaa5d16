-- Runs nmap's own p2p-conficker script with its clock replaced, to read the
-- ports its generator gives for chosen addresses and times (wormwatch's
-- tests compare them with src/p2p.c). Nothing of the original is changed:
-- it is loaded as is, with a `require` that hands it a fake `os` whose
-- time() returns each time asked for, and its action is run once per
-- (time, address); realip makes it compute the ports of that address.
--
-- Script arguments (lists separated by '/'):
--   ww.times  Unix times in seconds      ww.ips  IPv4 addresses
--   ww.script path of p2p-conficker.nse (default: nmap's installed copy)
-- Run it against an address that refuses everything at once (127.0.0.1):
-- each check then fails fast. Output: one block per (time, address),
-- headed "WW T=<time> IP=<address>", followed by nmap's "Check" lines.
local nmap = require "nmap"
local stdnse = require "stdnse"

description = [[Reads the Conficker.C ports of nmap's p2p-conficker at chosen times.]]
categories = {"safe"}

hostrule = function(host) return true end

action = function(host)
  local script = stdnse.get_script_args("ww.script") or
    "/usr/share/nmap/scripts/p2p-conficker.nse"
  local times = stdnse.get_script_args("ww.times") or ""
  local ips = stdnse.get_script_args("ww.ips") or ""
  local blocks = {}
  for t in times:gmatch("[^/]+") do
    for ip in ips:gmatch("[^/]+") do
      local when = assert(tonumber(t))
      local clock = setmetatable({time = function() return when end}, {__index = os})
      local env = setmetatable({}, {__index = _ENV})
      env.require = function(name)
        if name == "os" then return clock end
        return require(name)
      end
      assert(loadfile(script, "t", env))()
      nmap.registry.args.realip = ip
      nmap.registry.args.checkall = nil
      nmap.registry.args.checkconficker = nil
      blocks[#blocks + 1] = ("WW T=%s IP=%s\n%s"):format(t, ip, tostring(env.action(host)))
    end
  end
  return table.concat(blocks, "\n")
end
