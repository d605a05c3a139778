--- kdeploy: the top-level module.
-- `null` (JSON null), `array` (mark a table as a JSON array), `error`
-- (make an error object), `version`, and `spawn`, `wait`, `sleep`
-- re-exported from the task scheduler (kdeploy.task).
local core = require "kdeploy.core"

local kdeploy = {}

kdeploy.version = "0.1.0"
kdeploy.null = core.null

--- Marks table `t` (or a new one) as an array, so it encodes as `[]`.
function kdeploy.array(t) return core.array(t) end

--- True when `t` is marked as an array.
function kdeploy.is_array(t) return core.is_array(t) end

--- Makes an error object from a table {reason=, message=, ...} or a
-- message string. Error objects print as their message.
function kdeploy.error(t)
  if type(t) ~= "table" then t = { reason = "Error", message = tostring(t) } end
  return core.error(t)
end

--- True for error objects made by kdeploy.error or raised by the engine.
function kdeploy.is_error(v) return core.is_error(v) end

-- The task scheduler (kdeploy.task), loaded on first use and then kept
-- (a require per spawn costs as much as a small task).
local task_mod = nil
local function tasks()
  if not task_mod then task_mod = require "kdeploy.task" end
  return task_mod
end

--- Starts fn(...) as a task; see kdeploy.task.spawn.
function kdeploy.spawn(fn, ...) return (task_mod or tasks()).spawn(fn, ...) end
--- Waits for tasks (last argument may be {timeout = s}); see kdeploy.task.wait.
function kdeploy.wait(...) return tasks().wait(...) end
--- Sleeps seconds; other tasks run meanwhile.
function kdeploy.sleep(s) return tasks().sleep(s) end

return kdeploy
